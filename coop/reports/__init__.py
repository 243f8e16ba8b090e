"""Reports: the dashboard of figures a union sends upward."""
