from cosim.cli import main

main()
