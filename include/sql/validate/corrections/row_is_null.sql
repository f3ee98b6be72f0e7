-- Row predicate of expect_column_values_to_not_be_null: the rows GX counts as unexpected.
-- reads: {column} of the checked table; writes: nothing.
({column} IS NULL)
