"""Pure numerical models of insights (no Django): CLV, recommendations."""
