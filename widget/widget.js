// NURA widget placeholder
