import { makeNodes } from "./pgcluster";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
(async () => {
  const { nodes, dispose } = await makeNodes(["us-east", "eu-west"], { tuning: { maxSlotWalKeepSize: "256MB", walKeepSize: "128MB" } });
  const [a, b] = nodes;
  try {
    a.setRole("primary"); b.setRole("replica", a);
    let r = a.db("converge"); console.log("conv a", r.status, r.stderr.trim());
    r = b.db("converge"); console.log("conv b", r.status, r.stderr.trim());
    a.sql("CREATE TABLE t (id int)", "hydra"); a.sql("INSERT INTO t VALUES (1)", "hydra");
    // failover by config: b primary, a replica of b
    b.setRole("primary"); r = b.db("converge"); console.log("conv b promote", r.status, r.stderr.trim());
    a.sql("INSERT INTO t VALUES (99)", "hydra");
    a.setRole("replica", b); r = a.db("converge"); console.log("conv a fence", r.status, r.stderr.trim().split("\n").join(" | "));
    await sleep(1000);
    console.log("a recovery", a.sql("SELECT pg_is_in_recovery()"), "rows", a.sql("SELECT string_agg(id::text, ',' ORDER BY id) FROM t", "hydra"));
    // write on a refused
    r = a.connect(`host=127.0.0.1 port=${a.port} user=hydra dbname=hydra password=hydra-Secret-4 sslmode=verify-full sslrootcert=${a.layout.configDir}/tls/ca.crt`, "INSERT INTO t VALUES (3)");
    console.log("write on replica", r.status, r.stderr.trim());
    r = a.connect(`host=127.0.0.1 port=${a.port} user=hydra dbname=hydra password=hydra-Secret-4 sslmode=disable`, "SELECT 1");
    console.log("plaintext", r.status, r.stderr.trim());
    r = a.connect(`host=127.0.0.1 port=${b.port} user=olympus_replicator dbname=hydra password=repl-Secret-1 sslmode=verify-full sslrootcert=${a.layout.configDir}/tls/ca.crt`, "SELECT 1");
    console.log("replicator on db", r.status, r.stderr.trim());
  } finally { dispose(); }
})();
