"""What every stage shares and none owns: province config, deadlines, file limits, masking and HMAC,
the data-root store, where the package data is, the branch's typed hand-offs (``handoff``) and the
rule outcome (``outcome``). Imports nothing from the stages."""
