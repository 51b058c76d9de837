// Preloaded into every process `npm run bench` times: records the process's peak resident memory.
const fs = require("fs");
process.on("exit", () => {
    const file = process.env.OLYMPUS_BENCH_RSS_FILE;
    if (file) fs.writeFileSync(file, String(process.resourceUsage().maxRSS));
});
