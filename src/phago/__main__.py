from phago.cli import main

main()
