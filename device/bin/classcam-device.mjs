#!/usr/bin/env node
// Runs the built daemon (npm run build). During development: node --conditions=classcam-source --import=tsx device/src/main.ts
import "../dist/main.js";
