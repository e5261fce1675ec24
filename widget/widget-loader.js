// NURA loader placeholder
