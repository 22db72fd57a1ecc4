// A real OpenID provider on loopback that stands in for Cognito's hosted UI in the demo and the tests.
//
// It is the certified `oidc-provider` package; only the login page and the account store are ours.
// Accounts live in a JSON file that is re-read on every lookup, so a test (or a developer) can
// change a user's groups while the provider runs and see it in the next token:
//   {"manager": {"sub": "...", "password": "...", "email": "...", "groups": ["Managers"]}, ...}
// ID tokens carry Cognito's claim shape: `cognito:username`, `cognito:groups`, `token_use: "id"`.
//
// Configuration (environment): OIDC_PORT, OIDC_ISSUER (default http://127.0.0.1:<port>),
// OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URIS and OIDC_POST_LOGOUT_REDIRECT_URIS
// (comma-separated), OIDC_ACCOUNTS_FILE.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import Provider, { interactionPolicy } from 'oidc-provider';

const port = Number(process.env.OIDC_PORT || 9000);
const issuer = process.env.OIDC_ISSUER || `http://127.0.0.1:${port}`;
const accountsFile = process.env.OIDC_ACCOUNTS_FILE;
const list = (value) => (value || '').split(',').map((item) => item.trim()).filter(Boolean);

if (!accountsFile) {
  console.error('OIDC_ACCOUNTS_FILE is required');
  process.exit(2);
}

function accountsRead() {
  // Read on every call on purpose: group changes must show in the next token without a restart.
  return JSON.parse(readFileSync(accountsFile, 'utf8'));
}

function accountByUsername(username) {
  const accounts = accountsRead();
  const key = Object.keys(accounts).find((name) => name.toLowerCase() === String(username).toLowerCase());
  return key ? { username: key, ...accounts[key] } : undefined;
}

function accountBySub(sub) {
  const accounts = accountsRead();
  const key = Object.keys(accounts).find((name) => accounts[name].sub === sub);
  return key ? { username: key, ...accounts[key] } : undefined;
}

const escapeHtml = (value) => String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:22em;margin:3em auto}input,button{display:block;width:100%;margin:.4em 0;padding:.4em}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(8).toString('hex'), alg: 'RS256', use: 'sig' };

// An account deleted from the accounts file while its session lives must sign in again (a silent
// prompt=none re-check then fails with login_required, as with a user removed from Cognito).
const policy = interactionPolicy.base();
policy.get('login').checks.add(
  new interactionPolicy.Check('account_gone', 'the signed-in account no longer exists', 'login_required', (ctx) =>
    Boolean(ctx.oidc.session.accountId && !ctx.oidc.account)),
);

const configuration = {
  clients: [
    {
      client_id: process.env.OIDC_CLIENT_ID || 'alienportal-portal',
      client_secret: process.env.OIDC_CLIENT_SECRET || 'alienportal-portal-secret',
      redirect_uris: list(process.env.OIDC_REDIRECT_URIS),
      post_logout_redirect_uris: list(process.env.OIDC_POST_LOGOUT_REDIRECT_URIS),
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  claims: {
    openid: ['sub', 'cognito:username', 'cognito:groups', 'token_use'],
    email: ['email', 'email_verified'],
    profile: ['preferred_username'],
  },
  // Cognito puts every claim in the ID token; the portal reads groups from there, as with Cognito.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false }, // our login page checks the password, devInteractions does not
    rpInitiatedLogout: {
      enabled: true,
      logoutSource(ctx, form) {
        ctx.body = page(
          'Sign out of the identity provider?',
          `${form}<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>`,
        );
      },
      postLogoutSuccessSource(ctx) {
        ctx.body = page('Signed out', '<p>You are signed out of the identity provider.</p>');
      },
    },
  },
  async findAccount(_ctx, sub) {
    const account = accountBySub(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return {
          sub,
          email: account.email,
          email_verified: true,
          preferred_username: account.username,
          'cognito:username': account.username,
          'cognito:groups': account.groups || [],
          token_use: 'id',
        };
      },
    };
  },
  // The portal is a first-party client: grant its scopes without a consent page, as Cognito does.
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const grant = await ctx.oidc.provider.Grant.find(grantId);
      if (grant) return grant;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  interactions: { policy, url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 86400, Grant: 86400 },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Sign-in error', `<pre>${escapeHtml(JSON.stringify(out, null, 2))}</pre>`);
  },
};

const provider = new Provider(issuer, configuration);
provider.on('server_error', (_ctx, error) => console.error('server_error', error));
const providerCallback = provider.callback();

function loginForm(uid, { error = '', username = '' } = {}) {
  return page(
    'Sign in to Alien Portal',
    `${error ? `<p role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" autocomplete="off">
<label>Username <input name="username" value="${escapeHtml(username)}" autofocus required></label>
<label>Password <input name="password" type="password" required></label>
<button type="submit">Sign in</button></form>`,
  );
}

async function formBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw new Error('interaction mismatch');
  if (details.prompt.name !== 'login') {
    // Consent is granted by loadExistingGrant; any other prompt just continues.
    await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method === 'GET' && !action) {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(loginForm(uid));
    return;
  }
  if (req.method === 'POST' && action === 'login') {
    const form = await formBody(req);
    const account = accountByUsername(form.get('username') || '');
    if (!account || account.password !== form.get('password')) {
      res
        .writeHead(401, { 'content-type': 'text/html; charset=utf-8' })
        .end(loginForm(uid, { error: 'Wrong username or password.', username: form.get('username') || '' }));
      return;
    }
    await provider.interactionFinished(req, res, { login: { accountId: account.sub } }, { mergeWithLastSubmission: false });
    return;
  }
  res.writeHead(405).end();
}

const server = http.createServer(async (req, res) => {
  const match = /^\/interaction\/([A-Za-z0-9_-]+)(?:\/(login))?$/.exec(new URL(req.url, issuer).pathname);
  if (!match) {
    providerCallback(req, res);
    return;
  }
  try {
    await interaction(req, res, match[1], match[2]);
  } catch (error) {
    res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' }).end(page('Sign-in error', escapeHtml(error.message)));
  }
});

server.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening issuer=${issuer} accounts=${accountsFile}`);
});
