// A real, independent OIDC provider (npm oidc-provider) for the login round-trip tests.
//
//   node tests/oidc_provider/server.mjs [PORT]     (0 or nothing: pick a free port)
//
// Prints one line `READY http://127.0.0.1:PORT` once it listens. Everything is in memory.
//
// Test-only additions, both on this server and never part of a real provider:
// - GET /interaction/:uid?login=<accountId> finishes login and consent in one go.
// - POST /__test/mode (form or JSON body, mode=normal|wrong_aud|expired|not_json) makes
//   the token endpoint misbehave: wrong_aud and expired hand out an ID token re-signed with
//   the provider's own key but with another audience or with iat/exp in the past; not_json
//   answers 200 with an HTML page. GET /__test/mode reports the mode and how many token
//   responses were altered so far.

import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const HOST = '127.0.0.1';
const CLIENT_ID = 'mijn-citizen-test';
const CLIENT_SECRET = 'mijn-citizen-test-secret-0123456789';
const BUSINESS_CLIENT_ID = 'mijn-business-test';
const BUSINESS_CLIENT_SECRET = 'mijn-business-test-secret-0123456789';
const KVK = 'urn:etoegang:core:LegalSubjectID';
const BRANCH = 'urn:etoegang:1.9:ServiceRestriction:Vestigingsnr';
// What eHerkenning and DigiD brokers send as acr; the login "screen" below logs in at the
// first requested one, or at LOA3 (substantieel) when none is requested.
const ACR_VALUES = [
  'urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard',
  'urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI',
  'urn:etoegang:core:assurance-class:loa2',
  'urn:etoegang:core:assurance-class:loa2plus',
  'urn:etoegang:core:assurance-class:loa3',
  'urn:etoegang:core:assurance-class:loa4',
];
const DEFAULT_ACR = 'urn:etoegang:core:assurance-class:loa3';
const PORTAL = 'http://testserver';
const OTHER_CLIENT = 'some-other-client';
const MODES = new Set(['normal', 'wrong_aud', 'expired', 'not_json']);

const ACCOUNTS = {
  'burger-1': { bsn: '999990019', name: 'Bram Burger' },
  'burger-2': { bsn: '999990020', name: 'Bea Burger' },
  // DigiD Machtigen through a broker: Bob logs in for Bea (a mandate in the claims).
  'burger-3': {
    bsn: '999990032', name: 'Bob Burger',
    represented: {
      type: 'bsn', id: '999990020', name: 'Bea Burger', role: 'parent', can_ask: false,
    },
  },
  // eHerkenning through a broker: an employee of a company, restricted to one branch.
  'medewerker-1': {
    [KVK]: '69599084', [BRANCH]: '000038509504', name: 'Mila Medewerker',
    company_name: 'Bakkerij Test',
  },
  'medewerker-2': { [KVK]: '0403170701', name: 'Lou Werknemer', company_name: 'Brouwerij Test' },
};

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const KID = `test-${randomUUID()}`;
const signingJwk = { ...privateKey.export({ format: 'jwk' }), kid: KID, alg: 'RS256', use: 'sig' };

const state = { mode: 'normal', altered: 0 };

const htmlEscape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const b64url = (data) => Buffer.from(data).toString('base64url');

// Change claims of a JWS compact ID token and sign it again with the provider's own key.
function resign(idToken, change) {
  const [header, payload] = idToken.split('.');
  const claims = change(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
  const input = `${header}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

const CHANGES = {
  wrong_aud: (claims) => ({ ...claims, aud: OTHER_CLIENT }),
  expired: (claims) => {
    const now = Math.floor(Date.now() / 1000);
    return { ...claims, iat: now - 7200, auth_time: now - 7200, exp: now - 3600 };
  },
};

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  if ((req.headers['content-type'] || '').includes('application/json')) {
    return text ? JSON.parse(text) : {};
  }
  return Object.fromEntries(new URLSearchParams(text));
}

const server = createServer();
const port = Number(process.argv[2] || 0);
await new Promise((resolve, reject) => {
  server.once('error', reject);
  server.listen(port, HOST, resolve);
});
const issuer = `http://${HOST}:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      redirect_uris: [`${PORTAL}/auth/citizen/callback`],
      post_logout_redirect_uris: [`${PORTAL}/uitgelogd`],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
    {
      client_id: BUSINESS_CLIENT_ID,
      client_secret: BUSINESS_CLIENT_SECRET,
      redirect_uris: [`${PORTAL}/auth/business/callback`],
      post_logout_redirect_uris: [`${PORTAL}/uitgelogd`],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
  ],
  acrValues: ACR_VALUES,
  jwks: { keys: [signingJwk] },
  cookies: { keys: [randomUUID(), randomUUID()] },
  pkce: { required: () => true },
  claims: { openid: ['sub', 'bsn', 'name', 'represented', KVK, BRANCH, 'company_name'] },
  conformIdTokenClaims: false,
  async findAccount(_ctx, id) {
    const account = ACCOUNTS[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...account };
      },
    };
  },
  interactions: {
    url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = `<!DOCTYPE html><html><head><title>Uitloggen</title></head><body>
${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Uitloggen</button>
</body></html>`;
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = '<!DOCTYPE html><html><head><title>Uitgelogd</title></head><body>Uitgelogd</body></html>';
      },
    },
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html><head><title>Fout</title></head><body><pre>${htmlEscape(
      JSON.stringify(out),
    )}</pre></body></html>`;
  },
});

// The test control endpoint.
provider.use(async (ctx, next) => {
  if (ctx.path !== '/__test/mode') return next();
  if (ctx.method === 'POST') {
    const { mode } = await readBody(ctx.req);
    if (!MODES.has(mode)) {
      ctx.status = 400;
      ctx.body = { error: `unknown mode ${mode}` };
      return undefined;
    }
    state.mode = mode;
  } else if (ctx.method !== 'GET') {
    ctx.status = 405;
    return undefined;
  }
  ctx.body = { ...state };
  return undefined;
});

// The login and consent "screen": ?login=<accountId> logs in and consents at once.
provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([^/]+)$/.exec(ctx.path);
  if (!match || ctx.method !== 'GET') return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.uid !== match[1]) ctx.throw(400, 'interaction mismatch');
  const accountId = ctx.query.login;
  if (typeof accountId !== 'string' || !ACCOUNTS[accountId]) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html><body><p>Kies een account met ?login=...</p><p>${htmlEscape(
      details.prompt.name,
    )}</p></body></html>`;
    return undefined;
  }
  const grant = new provider.Grant({ accountId, clientId: details.params.client_id });
  const requested = String(details.params.scope || '').split(' ').filter(Boolean);
  grant.addOIDCScope(requested.includes('openid') ? requested.join(' ') : 'openid');
  const grantId = await grant.save();
  const requestedAcr = String(details.params.acr_values || '').split(' ').filter(Boolean);
  const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
    login: { accountId, acr: requestedAcr[0] || DEFAULT_ACR },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(returnTo);
  return undefined;
});

// A deliberately misbehaving token endpoint, when asked to by a test.
provider.use(async (ctx, next) => {
  await next();
  if (
    state.mode !== 'normal'
    && ctx.path === '/token'
    && ctx.method === 'POST'
    && ctx.status === 200
    && ctx.body
    && typeof ctx.body.id_token === 'string'
  ) {
    if (state.mode === 'not_json') {
      ctx.type = 'html';
      ctx.body = '<!DOCTYPE html><html><body>Onderhoud</body></html>';
    } else {
      ctx.body = { ...ctx.body, id_token: resign(ctx.body.id_token, CHANGES[state.mode]) };
    }
    state.altered += 1;
  }
});

server.on('request', provider.callback());

const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

process.stdout.write(`READY ${issuer}\n`);
