-- Row predicate of expect_column_values_to_be_null (and of be_in_set with an empty set): the unexpected rows.
-- reads: {column} of the checked table; writes: nothing.
({column} IS NOT NULL)
