"""Streamlit pages and shared widgets: the only place, with app.py, that imports streamlit."""
