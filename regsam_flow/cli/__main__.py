from regsam_flow.cli import main

main()
