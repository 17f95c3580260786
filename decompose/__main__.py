from decompose.cli import main

main()
