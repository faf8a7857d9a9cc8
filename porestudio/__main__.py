"""``python -m porestudio`` — same as the ``porestudio`` console script."""

from porestudio.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
