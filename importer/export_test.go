package importer

// TemplateExamples are the template's example rows, for the tests to compare with
// what the template imports as.
var TemplateExamples = templateExamples
