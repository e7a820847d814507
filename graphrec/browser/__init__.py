"""Neo4j Browser inspection: graphrec's graph style, its Browser guide, and how to reach both.

* :mod:`graphrec.browser.guide` renders the guide (``cypher/browser/guide.html``) with the query texts
  of ``cypher/`` pasted in, so the Browser runs exactly what the CLI runs.
* :mod:`graphrec.browser.serve` serves the guide and the ``.grass`` style over HTTP on localhost (with
  CORS headers) for ``:play`` and ``:style``.
* :mod:`graphrec.browser.info` tells where the Browser is and what to paste into it.
"""

from graphrec.browser.guide import GUIDE_NAME, STYLE_NAME, browser_dir, render_guide
from graphrec.browser.info import BrowserInfo, browser_info
from graphrec.browser.serve import GuideServer, start_guide_server

__all__ = ["GUIDE_NAME", "STYLE_NAME", "BrowserInfo", "GuideServer", "browser_dir", "browser_info",
           "render_guide", "start_guide_server"]
