// A real OpenID provider for werkmatch's sign-in tests: panva's OpenID Certified `oidc-provider`, configured
// from a JSON file the tests write (issuer, port, signing keys, clients, test users with their groups).
//
//   node tests/oidc/provider.mjs CONFIG.json
//
// It prints "ready <issuer>" once it listens. The sign-in page below is the provider's own (a username and a
// password); werkmatch only ever sees what the protocol gives it.
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// login -> { password, email, name, groups, email_verified }; read on every use, so a test can change groups
const accounts = () => JSON.parse(readFileSync(config.accounts_file, 'utf8'));
const API = config.api_resource; // resource indicator of werkmatch's API
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function account(login) {
  const a = accounts()[login];
  if (!a) return undefined;
  return {
    accountId: login,
    async claims() {
      const claims = { sub: login, email: a.email, name: a.name, email_verified: a.email_verified ?? true };
      if (a.groups !== null && a.groups !== undefined) claims.groups = a.groups;
      return claims;
    },
  };
}

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: { keys: config.keys },
  cookies: { keys: ['werkmatch-test-provider-cookie-key'] },
  findAccount: (ctx, sub) => account(sub),
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
  },
  scopes: ['openid', 'offline_access', 'email', 'profile', 'groups', 'api'],
  // The ID token carries the claims of the scopes asked for, as Entra ID and Keycloak do.
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  ttl: { IdToken: 600, Session: 3600, Grant: 3600, Interaction: 600, AuthorizationCode: 60 },
  // A first-party application: no consent screen (the municipality consents for its staff).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile groups offline_access');
    grant.addOIDCClaims(['email', 'email_verified', 'name', 'groups']);
    for (const r of config.resources) grant.addResourceScope(r.indicator, 'api');
    await grant.save();
    return grant;
  },
  // Access tokens for the API as JWTs with the user's e-mail and groups, as Entra ID issues them.
  async extraTokenClaims(ctx, token) {
    if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
    const a = accounts()[token.accountId];
    return a ? { email: a.email, ...(a.groups ? { groups: a.groups } : {}) } : undefined;
  },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx, client, oneOf) => oneOf ?? undefined,
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, indicator, client) {
        const r = config.resources.find((x) => x.indicator === indicator);
        if (!r) throw new Provider.errors.InvalidTarget();
        const ttl = (config.short_ttl_clients || []).includes(client.clientId) ? 1 : 600;
        return { scope: 'api', audience: r.audience, accessTokenTTL: ttl, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
      },
    },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign out</title></head>
          <body><h1>Sign out of the test provider?</h1>${form}
          <button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
          </body></html>`;
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><p>You are signed out.</p></body></html>';
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Error</title></head><body><h1>${escape(out.error)}</h1><p>${escape(out.error_description || '')}</p></body></html>`;
  },
});

function loginPage(uid, error) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Test provider: sign in</title></head>
  <body><h1>Gemeente test provider</h1>${error ? `<p role="alert">${escape(error)}</p>` : ''}
  <form method="post" action="/interaction/${escape(uid)}/login">
    <label>Username <input name="login" autocomplete="username" required></label>
    <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
    <button type="submit">Sign in</button>
  </form></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (details.prompt.name === 'consent') {
    // the grant above covers everything; a consent prompt (new scopes) is granted as well
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: details.params.client_id });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [ind, scope] of Object.entries(missing.missingResourceScopes || {})) grant.addResourceScope(ind, scope.join(' '));
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }
  if (action === 'login' && req.method === 'POST') {
    const form = await readForm(req);
    const login = form.get('login') || '';
    const a = accounts()[login];
    if (!a || a.password !== form.get('password')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(loginPage(uid, 'Unknown user or wrong password.'));
    }
    return provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  }
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  return res.end(loginPage(uid));
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  const m = /^\/interaction\/([\w-]+)(?:\/(login))?$/.exec(new URL(req.url, config.issuer).pathname);
  if (!m) return callback(req, res);
  try {
    await interaction(req, res, m[1], m[2]);
  } catch (err) {
    res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`interaction failed: ${err.message}`);
  }
});
server.listen(config.port, '127.0.0.1', () => console.log(`ready ${config.issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
