/**
 * Stub of `form-data` (and with it mime-types and the 137 KB mime-db): axios
 * builds multipart/form-data bodies with it; soap posts its envelope as a
 * string. axios requires the module itself as the constructor. See unavailable.cjs.
 */
'use strict';
const { unavailable } = require('./unavailable.cjs');

class FormData {
  constructor() {
    throw unavailable('form-data', 'multipart/form-data request bodies (axios toFormData)');
  }
}

module.exports = FormData;
