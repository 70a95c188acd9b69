"""skdnn's tests, in folders that mirror the package."""
