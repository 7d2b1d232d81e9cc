// marp-cli's own engine (`--engine`, functional form: it hands us its prepared Marp Core), with one
// change: a deck's local SVG images travel inside the one-file HTML as data URIs
// (deckbuild/assets.py), and markdown-it refuses `data:image/svg+xml` in Markdown image syntax (its
// guard against script URLs; an SVG shown as an image or a background runs no script). Exactly those
// are allowed; every other link is validated as marp-cli validates it.
'use strict';
const SVG_DATA = /^data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+$/;

function allowSvgData(marp) {
  const validate = marp.markdown.validateLink.bind(marp.markdown);
  marp.markdown.validateLink = (url) => SVG_DATA.test(url) || validate(url);
  return marp;
}

module.exports = ({ marp }) => allowSvgData(marp);
module.exports.allowSvgData = allowSvgData;
