"""What every stage shares and none owns: province config, deadlines, file limits, masking and HMAC,
the data-root store, and where the package data is. Imports nothing from the stages."""
