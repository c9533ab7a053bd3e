"""The applicant's pages, one module per part of the manual: info (四、信息填报),
registration (五、配租登记), records (六、七、配租记录), documents (uploads)."""
