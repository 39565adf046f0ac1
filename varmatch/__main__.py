from varmatch.cli import main

main()
