/**
 * A browser's way through a sign-in with the test's OpenID Connect provider,
 * without a browser: the controller's start route, the provider's pages
 * (following its redirects, with its cookies), and the controller's callback;
 * and the session the cookie it set opens.
 */
import type { TestController } from "./controller.js";
import { CookieJar, type TestProvider } from "./oidc-provider.js";

export interface Attempt {
  /** Where the controller sent the browser at the end. */
  location: string;
  jar: CookieJar;
  /** The callback as the provider sent it (path and query), to replay. */
  callback: string | null;
  /** The sign-in's own cookie, as the browser held it at the callback. */
  signInCookie: string;
}

/** A browser's way through: start, the provider (following its redirects), the callback. */
export async function signInThrough(
  controller: TestController,
  provider: TestProvider,
  accountId: string,
  change: (callback: URL) => void = () => undefined,
): Promise<Attempt> {
  const { app } = controller;
  provider.loginAs(accountId);
  const jar = new CookieJar();
  const start = await app.inject({ method: "GET", url: "/api/session/oidc/start" });
  jar.take(start.headers);
  let location = start.headers.location ?? "";
  const signInCookie = jar.header();
  if (start.statusCode !== 302 || !location.startsWith(provider.issuer)) {
    return { location, jar, callback: null, signInCookie };
  }
  const providerJar = new CookieJar();
  for (let hop = 0; hop < 20 && location.startsWith(provider.issuer); hop += 1) {
    const answer = await fetch(location, {
      redirect: "manual",
      headers: { cookie: providerJar.header() },
    });
    providerJar.take(answer.headers);
    const next = answer.headers.get("location");
    if (next === null)
      throw new Error(`the provider answered ${answer.status}: ${await answer.text()}`);
    location = new URL(next, location).href;
  }
  const back = new URL(location);
  change(back);
  const callback = `${back.pathname}${back.search}`;
  const reply = await app.inject({
    method: "GET",
    url: callback,
    headers: { cookie: signInCookie },
  });
  jar.take(reply.headers);
  return { location: reply.headers.location ?? "", jar, callback, signInCookie };
}

export async function sessionOf(controller: TestController, jar: CookieJar) {
  const token = jar.cookies.get("classcam_session");
  if (token === undefined) return null;
  const reply = await controller.app.inject({
    method: "GET",
    url: "/api/session",
    headers: { cookie: `classcam_session=${token}` },
  });
  return reply.statusCode === 200
    ? reply.json<{ user: { id: string; roles: string[]; displayName: string } }>()
    : null;
}
