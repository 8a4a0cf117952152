"""Pure numerical code of the listening app: plain Python, numpy and scikit-learn; no Django."""
