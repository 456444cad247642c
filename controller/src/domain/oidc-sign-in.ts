/**
 * Sign-in through the school's identity provider (OpenID Connect, with
 * `openid-client`): the authorisation code flow with PKCE, state and nonce.
 *
 * - `start()` finds the provider (its discovery document, fetched when first
 *   needed and again after a failure, so a provider down at start does not
 *   stop the controller) and keeps the sign-in's state, nonce and PKCE
 *   verifier here, in memory, under a random key the browser holds in a
 *   cookie: single-use, for ten minutes.
 * - `finish()` takes that key back with the provider's answer: openid-client
 *   checks the state, swaps the code for tokens and checks the ID token
 *   (issuer, audience, expiry, nonce, and its signature against the
 *   provider's published keys, fetched again when a new key appears). Then the
 *   rules of oidc-rules.ts: an e-mail of the school's domains, the roles the
 *   groups claim gives. oidc-accounts.ts finds the account: made at a first
 *   sign-in, or a local one linked by a verified e-mail; later sign-ins set
 *   its roles from the groups again (roles taken away end the person's other
 *   sessions; no role left disables it). The session is opened by
 *   `People.openSession`, as a password sign-in's is.
 * - Each refusal is audited with its reason and nothing else is written.
 */
import { randomBytes } from "node:crypto";
import type * as OpenId from "openid-client";
import { insecureAllowed, type OidcSettings } from "../config-oidc.js";
import type { Database } from "../db/database.js";
import type { AuditLog } from "./audit.js";
import type { Clock } from "./clock.js";
import { providerAccount } from "./oidc-accounts.js";
import { OidcRoleMap, mappedRoles } from "./oidc-role-map.js";
import { groupsOf, inAllowedDomain, refusalWords, type OidcRefusal } from "./oidc-rules.js";
import type { People, Session } from "./people.js";
const PENDING_MINUTES = 10;
/** Sign-ins started and not finished that are kept; the oldest goes first. */
const MAX_PENDING = 1000;

/** A refused sign-in: `why` for the audit log, `words` for the person. */
export class OidcRefused extends Error {
  constructor(
    readonly why: OidcRefusal,
    readonly words: string,
  ) {
    super(words);
    this.name = "OidcRefused";
  }
}

interface Pending {
  state: string;
  nonce: string;
  verifier: string;
  expiresAt: number;
}

const UNREACHABLE = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "EAI_AGAIN"]);

/** Whether an error (or one it was caused by) is a failure to reach the provider. */
function unreachable(error: unknown): boolean {
  for (let at: unknown = error, depth = 0; at instanceof Error && depth < 5; depth += 1) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === "string" && (UNREACHABLE.has(code) || code.startsWith("UND_ERR"))) {
      return true;
    }
    if (at instanceof TypeError && at.message === "fetch failed") return true;
    at = at.cause;
  }
  return false;
}

export class OidcSignIn {
  private provider: Promise<OpenId.Configuration> | null = null;
  private discovered: OpenId.Configuration | null = null;
  /**
   * openid-client, loaded when a sign-in first needs it: a controller whose
   * config has no oidc never loads it (about 1 MB of heap, issue 21).
   */
  private loaded: typeof OpenId | null = null;
  private readonly pending = new Map<string, Pending>();

  constructor(
    readonly settings: OidcSettings,
    private readonly db: Database,
    private readonly people: People,
    private readonly audit: AuditLog,
    private readonly log: { warn(facts: object, message: string): void },
    private readonly clock: Clock = () => new Date(),
    /** The groups → roles map in use (the config's, until an administrator changes it). */
    readonly roleMap = new OidcRoleMap(db, audit, clock, settings.roleMap),
  ) {}

  private async client(): Promise<typeof OpenId> {
    return (this.loaded ??= await import("openid-client"));
  }

  /** The provider's configuration, discovered once (again after a failure). */
  private configuration(): Promise<OpenId.Configuration> {
    if (this.provider === null) {
      const { issuer, clientId, clientSecret } = this.settings;
      const insecure = insecureAllowed(issuer);
      const found = this.client().then((client) =>
        client.discovery(
          new URL(issuer),
          clientId,
          { client_secret: clientSecret },
          client.ClientSecretBasic(clientSecret),
          {
            execute: [
              client.enableNonRepudiationChecks,
              // plain HTTP only to a provider on loopback (config-oidc.ts refuses any other)
              // eslint-disable-next-line @typescript-eslint/no-deprecated
              ...(insecure ? [client.allowInsecureRequests] : []),
            ],
            timeout: 10,
          },
        ),
      );
      this.provider = found;
      found.then(
        (configuration) => {
          this.discovered = configuration;
        },
        () => {
          if (this.provider === found) this.provider = null;
        },
      );
    }
    return this.provider;
  }

  /**
   * The provider's sign-out page, when it has one; null too before the
   * provider has been found (a page asking must not wait for a provider down).
   */
  endSessionUrl(): string | null {
    const configuration = this.discovered;
    const client = this.loaded; // loaded before anything was discovered
    if (client === null || configuration?.serverMetadata().end_session_endpoint === undefined)
      return null;
    return client.buildEndSessionUrl(configuration, { client_id: this.settings.clientId }).href;
  }

  /** Begins a sign-in: where to send the browser, and the key it keeps in a cookie. */
  async start(address: string): Promise<{ url: string; key: string }> {
    let configuration: OpenId.Configuration;
    const client = await this.client();
    try {
      configuration = await this.configuration();
    } catch (error) {
      throw await this.refuse(unreachable(error) ? "provider unreachable" : "provider error", {
        address,
        error,
      });
    }
    const pending: Pending = {
      state: client.randomState(),
      nonce: client.randomNonce(),
      verifier: client.randomPKCECodeVerifier(),
      expiresAt: this.clock().getTime() + PENDING_MINUTES * 60_000,
    };
    const key = randomBytes(24).toString("base64url");
    this.forgetExpired();
    if (this.pending.size >= MAX_PENDING) {
      const oldest = this.pending.keys().next();
      if (oldest.done !== true) this.pending.delete(oldest.value);
    }
    this.pending.set(key, pending);
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.settings.redirectUri,
      scope: "openid email profile",
      state: pending.state,
      nonce: pending.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: "S256",
    });
    return { url: url.href, key };
  }

  private forgetExpired(): void {
    const now = this.clock().getTime();
    for (const [key, pending] of this.pending) {
      if (pending.expiresAt <= now) this.pending.delete(key);
    }
  }

  /**
   * Finishes a sign-in from the provider's answer (`callback`, the URL it sent
   * the browser to) and the key from the browser's cookie; a session, or
   * `OidcRefused`.
   */
  async finish(
    callback: URL,
    key: string | undefined,
    address: string,
  ): Promise<{ token: string; session: Session }> {
    const pending = key === undefined ? undefined : this.pending.get(key);
    if (key !== undefined) this.pending.delete(key); // single use, whatever happens next
    if (
      pending === undefined ||
      pending.expiresAt <= this.clock().getTime() ||
      callback.searchParams.get("state") !== pending.state
    ) {
      throw await this.refuse("unknown state", { address });
    }
    let claims: OpenId.IDToken | undefined;
    const client = await this.client();
    try {
      const configuration = await this.configuration();
      const tokens = await client.authorizationCodeGrant(configuration, callback, {
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        pkceCodeVerifier: pending.verifier,
        idTokenExpected: true,
      });
      claims = tokens.claims();
    } catch (error) {
      const why: OidcRefusal = unreachable(error)
        ? "provider unreachable"
        : error instanceof client.AuthorizationResponseError
          ? "provider error"
          : "bad token";
      throw await this.refuse(why, { address, error });
    }
    if (claims === undefined) throw await this.refuse("bad token", { address });
    return this.signIn(claims, address);
  }

  private async signIn(
    claims: OpenId.IDToken,
    address: string,
  ): Promise<{ token: string; session: Session }> {
    const { allowedDomains, roleClaim } = this.settings;
    const subject = claims.sub;
    const email = [claims.email, claims.upn, claims.preferred_username].find(
      (one): one is string => typeof one === "string" && one.includes("@"),
    );
    const who = { address, subject, ...(email !== undefined && { email }) };
    if (email === undefined || claims.email_verified === false) {
      throw await this.refuse("no e-mail", who);
    }
    if (!inAllowedDomain(email, allowedDomains)) throw await this.refuse("wrong domain", who);
    const groups = groupsOf(claims[roleClaim]);
    const name = typeof claims.name === "string" && claims.name.trim() !== "" ? claims.name : email;
    const claimed = typeof claims.email === "string" ? claims.email.toLowerCase() : null;
    const verified =
      claims.email_verified === true &&
      claimed !== null &&
      inAllowedDomain(claimed, allowedDomains);
    const { entries } = await this.roleMap.current();
    const account = await providerAccount(this.db, this.audit, this.clock, {
      issuer: claims.iss,
      subject,
      email: email.toLowerCase(),
      verifiedEmail: verified ? claimed : null,
      displayName: name
        .replace(/\p{Cc}/gu, "")
        .trim()
        .slice(0, 100),
      rolesFor: (self) => mappedRoles(groups, entries, self),
    });
    if (account.kind === "no role") {
      throw await this.refuse("no role", {
        ...who,
        groups,
        ...(account.userId !== null && { user: account.userId, disabled: true }),
      });
    }
    const { row } = account;
    if (row.status !== "active") throw await this.refuse("disabled", { ...who, user: row.id });
    return this.people.openSession(row, address, { via: "oidc", email: email.toLowerCase() });
  }

  /** Audits a refusal and makes the error to throw; nothing else is written. */
  private async refuse(
    why: OidcRefusal,
    context: { address: string; error?: unknown } & Record<string, unknown>,
  ): Promise<OidcRefused> {
    const { error, ...detail } = context;
    const problem = error instanceof Error ? error.message.slice(0, 300) : undefined;
    if (error !== undefined)
      this.log.warn({ err: error, why }, "sign-in through the provider refused");
    const subject = typeof detail.email === "string" ? detail.email : "";
    await this.audit.record({
      actor: "anonymous",
      action: "sign-in.refused",
      subject: subject.slice(0, 64),
      detail: { ...detail, via: "oidc", why, ...(problem !== undefined && { problem }) },
    });
    return new OidcRefused(why, refusalWords(why, this.settings.displayName));
  }
}
