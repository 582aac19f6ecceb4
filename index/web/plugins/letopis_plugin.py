"""Loads the letopis plugin (the ``index.web`` package) into ``datasette serve``.

``letopis serve`` passes this directory as ``--plugins-dir``. The plugin itself lives in
``index.web``: registering the package, not this file, lets Datasette find its templates.
"""
from index.serve import install_plugin

install_plugin()
