"""Atelier Cagettes: the server. Streamlit's app (app.py) and our plain HTTP routes, one process.

`streamlit run asgi.py` (what `make run` does) finds `app` and serves it with uvicorn;
`uvicorn asgi:app` works too. The routes are in workshop/web (no Streamlit there).
"""

from streamlit.starlette import App

from workshop import web

app = App("app.py", routes=web.routes(), middleware=web.middleware())
