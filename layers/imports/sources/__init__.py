"""Import sources that are not a file of rows with columns: each turns its input into the steps' `SourceTable`/`PreparedImport`."""
