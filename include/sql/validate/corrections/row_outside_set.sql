-- Row predicate of expect_column_values_to_be_in_set: a value outside the set; NULL is not a hit (GX ignores
-- nulls in set rules). reads: {column} of the checked table; writes: nothing.
({column} NOT IN ({values}))
