// Checks APL documents with Amazon's validator (apl-suggester): reads a JSON list of
// documents on stdin, prints a JSON list of each one's findings. Offline: the documents
// import no packages, so nothing is fetched.
'use strict';
const { StaticAplTemplateValidator } = require('apl-suggester');

let input = '';
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', async () => {
  const validator = new StaticAplTemplateValidator();
  const results = [];
  for (const doc of JSON.parse(input)) {
    results.push(await validator.validate(doc));
  }
  process.stdout.write(JSON.stringify(results));
});
