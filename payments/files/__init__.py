"""The bank's file formats, read and written without the database: camt.053 in, pain.008 out."""
