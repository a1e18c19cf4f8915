"""The centre's CSV cells are made safe as every export's are (the printed record's too): see
:mod:`terminal.common.spreadsheet`."""

from terminal.common.spreadsheet import formula_like, spreadsheet_safe

__all__ = ["formula_like", "spreadsheet_safe"]
