"""``python -m smsc_formats``: the ``smsc-formats`` command line, where no script is installed."""

from .cli import main

if __name__ == "__main__":
    main(prog_name="smsc-formats")
