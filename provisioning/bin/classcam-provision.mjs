#!/usr/bin/env node
// Runs the built CLI (npm run build). During development: node --conditions=classcam-source --import=tsx provisioning/src/main.ts
import "../dist/main.js";
