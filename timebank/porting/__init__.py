"""Moving a whole time bank in and out: importing CSV files and exporting the bank as a zip."""
