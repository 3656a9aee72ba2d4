/** An OAuth access token for Google's REST APIs from Application Default Credentials (lazily loaded). */
export type AccessToken = () => Promise<string>;

export function applicationDefaultToken(): AccessToken {
  let auth: Promise<any> | undefined;
  return async () => {
    auth ??= import("google-auth-library").then((m) => new m.GoogleAuth({ scopes: ["https://www.googleapis.com/auth/cloud-platform"] }));
    const token = await (await auth).getAccessToken();
    if (!token) throw new Error("no Google credentials: run `gcloud auth application-default login`, or run in CI with Workload Identity Federation");
    return token;
  };
}
