"""Projects: direct selection (直接选定) and secondary bidding (二次竞价), quotes, results, announcements."""
