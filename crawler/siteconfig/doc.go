// Package siteconfig holds the watched-site configuration: sites.yaml
// decoded strictly (an unknown key is an error naming its line and the key
// meant), every site's defaults filled in and its values validated once, at
// load, so that everything downstream — the coordinator's passes, a worker
// on another machine handed one site's configuration with each job, the
// inspector and the re-checker — reads a Site it can trust.
//
// A Site also answers the questions its keys pose: whether a URL is in
// scope (allowed domains and their subdomains, include/exclude patterns),
// its politeness delay, retries and whether robots.txt is honoured.
//
// It reads no network and no database; it imports only the standard
// library and the YAML decoder.
package siteconfig
