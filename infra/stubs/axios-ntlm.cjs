/** Stub of `axios-ntlm` (and des.js, js-md4): soap's NTLM authentication. See unavailable.cjs. */
'use strict';
const { unavailable } = require('./unavailable.cjs');

function NtlmClient() {
  throw unavailable('axios-ntlm', 'NTLM authentication (soap NTLMSecurity, the ntlm request option)');
}

module.exports = { NtlmClient };
