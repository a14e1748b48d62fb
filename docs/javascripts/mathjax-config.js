// MathJax 3 configuration (loaded before the vendored tex-mml-chtml.js): the \( \) and \[ \] of pymdownx.arithmatex
// on the Markdown pages, $ … $ and $$ … $$ in the notebooks' Markdown cells; code blocks are never typeset.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"], ["$", "$"]],
    displayMath: [["\\[", "\\]"], ["$$", "$$"]],
    processEscapes: true,
    processEnvironments: true,
    tags: "none"
  },
  options: {
    skipHtmlTags: ["script", "noscript", "style", "textarea", "pre", "code"]
  }
};
// Material's instant navigation swaps pages without reloading: typeset each new page.
if (typeof document$ !== "undefined" && document$ && document$.subscribe) {
  document$.subscribe(() => { if (window.MathJax && MathJax.typesetPromise) { MathJax.typesetPromise(); } });
}
