/** Stub of `formidable`: soap parses MTOM (multipart/related) responses with it. See unavailable.cjs. */
'use strict';
const { unavailable } = require('./unavailable.cjs');

class MultipartParser {
  constructor() {
    throw unavailable('formidable', 'MTOM multipart responses (soap parseResponseAttachments)');
  }
}

module.exports = { MultipartParser };
