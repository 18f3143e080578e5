/** Stub of `xml-crypto` (and with it xpath and @xmldom/xmldom): soap's WSSecurityCert signing. See unavailable.cjs. */
'use strict';
const { unavailable } = require('./unavailable.cjs');

class SignedXml {
  constructor() {
    throw unavailable('xml-crypto', 'WS-Security XML signatures (soap WSSecurityCert, WSSecurityCertWithToken)');
  }
}

module.exports = { SignedXml };
