/** Stub of `whatwg-mimetype`: soap reads the boundary of MTOM (multipart/related) responses with it. See unavailable.cjs. */
'use strict';
const { unavailable } = require('./unavailable.cjs');

class MIMEType {
  constructor() {
    throw unavailable('whatwg-mimetype', 'MTOM multipart responses (soap parseResponseAttachments)');
  }
}

module.exports = { MIMEType };
