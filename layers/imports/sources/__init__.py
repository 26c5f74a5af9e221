"""Import sources that are not a file of rows with columns, beside the file readers.

- `polisen`: the police's events feed, turned into the steps' `SourceTable`/`PreparedImport`
  and stored by `run` like a file;
- `resident_form`: the residents' form (`/rapportera`), one report at a time awaiting
  moderation, with the shared store step of every intake source (`insert_intake_report`);
- `est`: an EST reporter's observation (the categories, the form's fields, saved awaiting
  moderation);
- `walk_files`: a safety walk's route and points from GPX or GeoJSON (and back);
- `walk_photos`: a walk point's photo, its GPS position read and then stripped with the rest of
  its metadata.
"""
