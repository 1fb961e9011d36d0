from kgdecide.cli import main

main()
