// A minimal stand-in for the few GitHub endpoints the action calls (comments, issues, labels, the pull
// requests of a commit, GraphQL `viewer`), on a loopback port, so the sticky-comment, apply-comment and
// drift-issue flows run end to end in tests. Each token is a user, and GitHub's spellings are kept:
// REST gives a bot's login as `name[bot]` with type "Bot", and so does GraphQL's `viewer`.
import { createServer, type Server } from "node:http";

export interface User {
  login: string;
  id: number;
  type: "User" | "Bot";
}
export interface Comment {
  id: number;
  issue: number;
  body: string;
  user: User;
}
/** A merged pull request, as `GET /repos/{repo}/commits/{sha}/pulls` lists it for its merge commit. */
export interface Pull {
  number: number;
  merge_commit_sha: string;
  merged_at: string | null;
}
/** The job's GITHUB_TOKEN acts as this bot (its real login and id on github.com). */
export const ACTIONS_BOT: User = { login: "github-actions[bot]", id: 41898282, type: "Bot" };
export interface Issue {
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  labels: string[];
}

export interface FakeGitHub {
  url: string;
  token: string;
  comments: Comment[];
  issues: Issue[];
  labels: string[];
  pulls: Pull[];
  requests: string[];
  /** A comment written by someone else (not through the action's token). */
  addComment(issue: number, body: string, user: User): Comment;
  close(): Promise<void>;
}

export async function startFakeGitHub(repo: string): Promise<FakeGitHub> {
  const state = {
    comments: [] as Comment[],
    issues: [] as Issue[],
    labels: [] as string[],
    pulls: [] as Pull[],
    requests: [] as string[],
  };
  let nextId = 1000;
  const token = "fake-token";
  const users = new Map<string, User>([[token, ACTIONS_BOT]]);
  const base = `/repos/${repo}`;
  const server: Server = createServer((req, res) => {
    let raw = "";
    req.on("data", (d) => {
      raw += d;
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const path = url.pathname;
      const body = raw ? JSON.parse(raw) : {};
      state.requests.push(`${req.method} ${path}`);
      const send = (status: number, data?: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(data === undefined ? "" : JSON.stringify(data));
      };
      const auth = /^Bearer (.*)$/.exec(req.headers.authorization ?? "")?.[1];
      const me = auth === undefined ? undefined : users.get(auth);
      if (!me) return send(401, { message: "Bad credentials" });
      if (path === "/graphql" && req.method === "POST") {
        if (!/\bviewer\b/.test(String(body.query))) return send(200, { errors: [{ message: "not faked: that query" }] });
        return send(200, { data: { viewer: { login: me.login, databaseId: me.id } } });
      }
      const page = Number(url.searchParams.get("page") ?? 1);
      const per = Number(url.searchParams.get("per_page") ?? 30);
      const paged = <T>(items: T[]) => items.slice((page - 1) * per, page * per);
      const onIssue = new RegExp(`^${base}/issues/(\\d+)/comments$`).exec(path);
      const comment = new RegExp(`^${base}/issues/comments/(\\d+)$`).exec(path);
      const issueAt = new RegExp(`^${base}/issues/(\\d+)$`).exec(path);
      const commitPulls = new RegExp(`^${base}/commits/([0-9a-f]+)/pulls$`).exec(path);
      if (commitPulls && req.method === "GET") {
        return send(
          200,
          state.pulls.filter((p) => p.merge_commit_sha === commitPulls[1]),
        );
      }
      if (onIssue) {
        const issue = Number(onIssue[1]);
        if (req.method === "GET") return send(200, paged(state.comments.filter((c) => c.issue === issue)));
        if (req.method === "POST") {
          const c = { id: nextId++, issue, body: body.body, user: me };
          state.comments.push(c);
          return send(201, c);
        }
      }
      if (comment && req.method === "PATCH") {
        const c = state.comments.find((x) => x.id === Number(comment[1]));
        if (!c) return send(404, { message: "Not Found" });
        // The action's token has no admin rights: it may edit only its own comments.
        if (c.user.id !== me.id) return send(403, { message: "Resource not accessible by integration" });
        c.body = body.body;
        return send(200, c);
      }
      if (path === `${base}/issues` && req.method === "GET") {
        const label = url.searchParams.get("labels");
        const open = state.issues.filter(
          (i) => i.state === url.searchParams.get("state") && (!label || i.labels.includes(label)),
        );
        return send(200, paged(open));
      }
      if (path === `${base}/issues` && req.method === "POST") {
        const i: Issue = { number: nextId++, title: body.title, body: body.body, state: "open", labels: body.labels ?? [] };
        state.issues.push(i);
        return send(201, i);
      }
      if (issueAt && req.method === "PATCH") {
        const i = state.issues.find((x) => x.number === Number(issueAt[1]));
        if (!i) return send(404, { message: "Not Found" });
        if (body.body !== undefined) i.body = body.body;
        if (body.state !== undefined) i.state = body.state;
        return send(200, i);
      }
      if (path === `${base}/labels` && req.method === "POST") {
        if (state.labels.includes(body.name)) return send(422, { message: "Validation Failed" });
        state.labels.push(body.name);
        return send(201, { name: body.name });
      }
      return send(404, { message: `not faked: ${req.method} ${path}` });
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    ...state,
    addComment(issue, body, user) {
      const c = { id: nextId++, issue, body, user };
      state.comments.push(c);
      return c;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
