/* Progressive enhancement only: the page reads fully without scripts. */
"use strict";
