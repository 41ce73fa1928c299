"""Documents generated for a case: the forms a procedure names, filled in from the record.

``services.documents_for`` lists what a case has; ``services.document_render`` makes the
PDF or DOCX; ``views.case_document`` serves it. See docs/documents.md.
"""
